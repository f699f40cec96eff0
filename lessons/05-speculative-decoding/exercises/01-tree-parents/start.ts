// Parent of each draft token 1 … 6, in order (0: the last verified token).
// As written, every draft token continues the verified text directly: no token sees another.
export const parents = [0, 0, 0, 0, 0, 0];
