// Rule: the adapter conformance suite holds on the memory adapter.
import { conformance } from './conformance';
import { memoryFixture } from './fixtures';


conformance(memoryFixture, { oneNode: true });
