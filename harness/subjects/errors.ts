/** A subject that cannot be had as asked: an unknown name, a module that does not load or export one. */
export class SubjectError extends Error {
  override name = 'SubjectError';
}
