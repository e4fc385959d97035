// Files the gateway reads at run time that are not modules: the web page and the PDF worker. Paths
// start from the project root, one folder up from this file in src/ and, once `npm run build` has
// bundled it, from its chunk in dist/: both sit one level below the root.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const WEB_PUBLIC_DIR = path.join(PROJECT_ROOT, 'src/web/public');
export const PDF_PAGES_WORKER = path.join(PROJECT_ROOT, 'src/http/media/pdf-pages.worker.cjs');
