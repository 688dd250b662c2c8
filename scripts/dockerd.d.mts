export interface Dockerd {
  socket: string;
  /** DOCKER_HOST form: unix://<socket>. */
  host: string;
  dir: string;
  pid: number | undefined;
}
/** Why no engine can be started here, or null when one can. */
export declare function dockerdUnavailable(): string | null;
export declare function startDockerd(): Promise<Dockerd>;
export declare function stopDockerd(d: { dir: string; pid: number | undefined }): Promise<void>;
