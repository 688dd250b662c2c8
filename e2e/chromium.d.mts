/** The browser binary; MEGARAPTOR_CHROMIUM overrides it. */
export declare const CHROMIUM_PATH: string;
/** Headless software rendering, no background traffic, no first-run UI. */
export declare const CHROMIUM_ARGS: readonly string[];
