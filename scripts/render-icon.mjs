// Renders images/icon.svg to images/icon.png (128 x 128, transparent corners), the Marketplace icon the
// manifest names, with Debian's chromium through playwright-core: `node scripts/render-icon.mjs`.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const svg = readFileSync(join(root, "images", "icon.svg"), "utf8");
const browser = await chromium.launch({
  executablePath: process.env.HEADROOM_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
try {
  const page = await browser.newPage({ viewport: { width: 128, height: 128 } });
  await page.setContent(`<!doctype html><html><body style="margin:0">${svg}</body></html>`);
  await page.screenshot({ path: join(root, "images", "icon.png"), omitBackground: true });
} finally {
  await browser.close();
}
console.log("render-icon: images/icon.png");
