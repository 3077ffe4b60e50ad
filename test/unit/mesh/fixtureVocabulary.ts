import { fileURLToPath } from 'node:url';

/** Path of the hand-written NLM descriptor fixture shared by the mesh and annotate tests. */
export const DESC_FIXTURE = fileURLToPath(new URL('../../fixtures/mesh/desc-fixture.xml', import.meta.url));
