/** Bundles the `megaraptor` CLI into one ESM file (default out/cli/megaraptor.mjs); resolves to its path. */
export declare function buildCli(outfile?: string): Promise<string>;
