// Parent of each draft token 1 … 6, in order (0: the last verified token).
export const parents = [0, 0, 1, 1, 2, 3];
