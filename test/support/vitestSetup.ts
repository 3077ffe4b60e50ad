import { installRequestQueueTimerFix } from '../../services/runtime/kafka/requestQueueTimer.ts';

// Tests make their own kafkajs clients (readers, producers of poison messages): they get the same
// request-queue timer as the services, so Node 24 prints no TimeoutNegativeWarning in the test run.
installRequestQueueTimerFix();
