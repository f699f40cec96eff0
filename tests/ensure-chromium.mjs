// Makes sure Debian's chromium is installed: the e2e browser, and the source of the SwiftShader
// Vulkan driver the GPU tier runs WGSL on. As root it installs the package; otherwise it stops
// with the one command to run. (Never `playwright install`: it downloads a browser of its own.)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM, SWIFTSHADER_ICD } from './gpu-env.mjs';

export function ensureChromium() {
  if (existsSync(CHROMIUM) && existsSync(SWIFTSHADER_ICD)) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`Chromium is missing (${CHROMIUM}); install it once with: sudo apt-get install -y chromium`);
    process.exit(1);
  }
  console.log('Installing Debian chromium (browser for e2e, SwiftShader Vulkan driver for GPU tests)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  if (!existsSync(SWIFTSHADER_ICD)) {
    console.error(`chromium installed but ${SWIFTSHADER_ICD} is missing; this Debian package has no SwiftShader`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) ensureChromium();
