#!/usr/bin/env bash
# Refresh the vendored front-end files from the npm registry (pinned in vendor/package.json).
# The copies are committed: PADE never fetches front-end code at run time.
set -euo pipefail
cd "$(dirname "$0")/../vendor"
npm install --no-audit --no-fund --ignore-scripts
dest=../src/pade/web/static/vendor
mkdir -p "$dest"
cp node_modules/htmx.org/dist/htmx.min.js "$dest/htmx.min.js"
cp node_modules/htmx.org/LICENSE "$dest/htmx.LICENSE.txt"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js "$dest/swagger-ui-bundle.js"
cp node_modules/swagger-ui-dist/swagger-ui.css "$dest/swagger-ui.css"
cp node_modules/swagger-ui-dist/LICENSE "$dest/swagger-ui.LICENSE.txt"
# axe-core is for the browser tests only: it is injected by tests/browser, not served.
cp node_modules/axe-core/axe.min.js ../tests/browser/vendor/axe.min.js
cp node_modules/axe-core/LICENSE ../tests/browser/vendor/axe-core.LICENSE.txt
rm -rf node_modules
echo "vendored into $dest"
