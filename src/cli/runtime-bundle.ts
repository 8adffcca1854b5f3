// ody's runtime (src/cli/runtime.ts) as one JavaScript file, for `ody build` inside the compiled binary, which has no
// source tree to bundle from. build.ts puts the text here when it compiles dist/ody; run from source it stays undefined.
export const runtimeBundle = undefined as string | undefined;
