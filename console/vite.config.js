// The console is served by yund under /console/; Vite hashes every asset name, so yund can
// cache them as immutable. No inline script (the CSP forbids it): no modulepreload polyfill.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  build: {
    outDir: "dist",
    assetsDir: "assets",
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 400,
  },
});
