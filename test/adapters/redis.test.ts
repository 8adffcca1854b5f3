// Rule: the adapter conformance suite holds on the redis adapter.
import { conformance } from './conformance';
import { redisFixture } from './fixtures';
import { redisMissing } from '../helpers/redis';

conformance(redisFixture, { skip: redisMissing() });
