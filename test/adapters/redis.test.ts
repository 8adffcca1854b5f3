// Rule: the adapter conformance suite holds on the redis adapter.
import { conformance } from './conformance';
import { redisFixture } from './fixtures';
import { hasRedis } from '../helpers/redis';

conformance(redisFixture, { skip: !hasRedis() && !process.env.CI });
