// Rule: the adapter conformance suite holds on the ipc adapter.
import { conformance } from './conformance';
import { ipcFixture } from './fixtures';


conformance(ipcFixture);
