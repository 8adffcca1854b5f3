// Text files imported with `with { type: 'text' }` (Bun embeds them in the binary): what `ody init` writes.
declare module '*.tpl' {
  const text: string;
  export default text;
}
declare module '*/Dockerfile' {
  const text: string;
  export default text;
}
declare module '*/.dockerignore' {
  const text: string;
  export default text;
}
declare module '*/.env.example' {
  const text: string;
  export default text;
}
