// The launch and deploy scripts' own logic (plain ESM run by Node 22).
import { defineProject } from 'vitest/config';
export default defineProject({ test: { name: 'scripts', include: ['**/*.test.mjs'], environment: 'node' } });
