// Rule: the adapter conformance suite holds on Redis when each machine runs several workers (each a node of its own).
import { conformance } from './conformance';
import { redisFixture } from './fixtures';
import { redisMissing } from '../helpers/redis';

conformance(() => redisFixture(2), { skip: redisMissing() });
