import { defineConfig } from "vitest/config";

// Django serves the build from STATIC_URL (/static/) via STATICFILES_DIRS = [frontend/dist];
// the SPA's index.html is served by labeling/pages.py for every client-side route.
export default defineConfig({
  base: "/static/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // No source maps: production serves dist as it is (collectstatic, whitenoise), and a map
    // there hands out the sources; `npm run dev` maps the sources for debugging anyway.
    sourcemap: false,
    target: "es2022",
  },
  server: {
    // `npm run dev` next to `manage.py runserver`: the API and login stay on Django.
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/login": "http://127.0.0.1:8000",
      "/logout": "http://127.0.0.1:8000",
    },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
