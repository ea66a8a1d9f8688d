// Svelte 5 strips TypeScript types itself; runes everywhere.
export default {
  compilerOptions: { runes: true },
};
