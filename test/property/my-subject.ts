/**
 * Stands in for a user's module in the README snippet (readme.test.ts): it exports the Subject under
 * test as `subject`, which is also what `flatline run --subject <module>` loads.
 */
export { referenceSubject as subject } from '../../harness/subjects/reference.ts';
