import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PAGE_ASSETS } from './server.js';

const INDEX = fileURLToPath(new URL('./static/index.html', import.meta.url));

/** The scripts and stylesheets the console's page loads, as its HTML names them. */
export async function assetsThePageLoads(): Promise<string[]> {
  const html = await readFile(INDEX, 'utf8');
  return [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"/g)].map(
    (match) => match[1] ?? '',
  );
}

/** What the first load of the console transfers: the page, its JavaScript and CSS, each raw and gzipped. */
export async function consolePageWeight(): Promise<{
  files: { path: string; bytes: number; gzipBytes: number }[];
  totalGzipBytes: number;
  scriptAndStyleGzipBytes: number;
}> {
  const files = [{ path: '/', file: INDEX }];
  for (const path of await assetsThePageLoads()) {
    const asset = PAGE_ASSETS[path];
    if (!asset) throw new Error(`the page loads ${path}, which the console does not serve`);
    files.push({ path, file: asset.file });
  }
  const weighed = await Promise.all(
    files.map(async ({ path, file }) => {
      const content = await readFile(file);
      return { path, bytes: content.length, gzipBytes: gzipSync(content, { level: 6 }).length };
    }),
  );
  const sum = (list: typeof weighed) => list.reduce((total, file) => total + file.gzipBytes, 0);
  return {
    files: weighed,
    totalGzipBytes: sum(weighed),
    scriptAndStyleGzipBytes: sum(weighed.filter((file) => file.path !== '/')),
  };
}
