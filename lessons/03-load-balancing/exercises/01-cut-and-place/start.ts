// Five requests (3072, 1024, 1024, 512, 512 keys) on 4 workgroups; an item of k keys costs k + 2.
export const naiveMakespan = 0;
// Keys per chunk: requests longer than this are cut into pieces of this many keys.
export const chunk = 3072;
// The makespan of your chunk's plan, placed longest first on the least-loaded slot.
export const makespan = 0;
