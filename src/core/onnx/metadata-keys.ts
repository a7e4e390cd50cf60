/** The keys of the metadata_props an exported model carries; read back when a quantized model is loaded again. */
export const METADATA_KEYS = {
  /** Per layer (by node name), the weight bits it was exported with. */
  layerBits: 'bitsplit.layer_bits',
  /** The share link of the run's settings. */
  config: 'bitsplit.config',
  version: 'bitsplit.version',
  /** SHA-256 of the float model the file was made from. */
  sourceSha256: 'bitsplit.source_sha256',
} as const;
