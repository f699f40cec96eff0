// Where Debian's chromium package puts SwiftShader (a CPU Vulkan driver) and a Vulkan loader.
// dawn.node uses them to run real WGSL in Node; Chromium uses the same driver for WebGPU in e2e.
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_LIB = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${CHROMIUM_LIB}/vk_swiftshader_icd.json`;

export function gpuTestEnv() {
  const libraryPath = [CHROMIUM_LIB, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: libraryPath };
}
