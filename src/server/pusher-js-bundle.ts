// pusher-js's browser build (its own minified file, unchanged), for the presence demo page: the binary has no
// node_modules and the page must not need the internet. build.ts puts the text here when it compiles dist/ody (and
// the runtime bundle `ody build` uses); run from source it stays undefined and is read from node_modules.
export const pusherJsBundle = undefined as string | undefined;
