/** The properties' names, apart from their machinery so that the CLI can list them without loading it. */
export const PROPERTY_NAMES = [
  'completeness',
  'accuracy',
  'convergence',
  'noHammering',
  'hygiene',
  'determinism',
] as const;
export type PropertyName = (typeof PROPERTY_NAMES)[number];
