declare module '*?url' {
  const url: string;
  export default url;
}
// Stylesheets imported for their side effect (Vite injects them).
declare module '*.css';
