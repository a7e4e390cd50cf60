/** Where the model and the images came from, so a restarted worker can be given them again. */
export type ModelSource = { file: File } | 'demo';
export type ImageSource = { files: File[] } | 'demo';

export const sources: { model: ModelSource | null; images: ImageSource | null } = { model: null, images: null };
