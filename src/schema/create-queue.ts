/** pictureModelingCreateQueue: where a create waiting for the upstream budget stands (src/budget/). */
import { followCreateQueue, type CreateQueuePosition } from '../budget/follow-create-queue.js';
import { builder } from './builder.js';

const CreateQueuePositionRef = builder.objectRef<CreateQueuePosition>('CreateQueuePosition').implement({
  description: 'A create waiting for its turn within the upstream budget (UPSTREAM_RATE_LIMITS)',
  fields: (t) => ({
    idempotencyKey: t.exposeString('idempotencyKey'),
    position: t.exposeInt('position', { description: '1: sent next' }),
    estimatedWaitSeconds: t.exposeInt('estimatedWaitSeconds', {
      nullable: true,
      description: 'At the current rate; other instances sharing the budget can only add to it',
    }),
  }),
});

builder.subscriptionField('pictureModelingCreateQueue', (t) =>
  t.field({
    type: CreateQueuePositionRef,
    description:
      "The caller's create sent with this idempotencyKey, while it waits for the upstream budget on the instance that received it: " +
      'its place in the queue each time it changes; completes once the create has been sent (or refused), or after 10 s if no such create reaches the queue',
    args: { idempotencyKey: t.arg.string({ required: true }) },
    subscribe: (_root, { idempotencyKey }, ctx) => {
      const { budget, createQueueRelay } = ctx.services;
      return followCreateQueue([budget.queue('create'), budget.queue('createByUrl')], ctx.principal.id, idempotencyKey, { relay: createQueueRelay });
    },
    resolve: (position: CreateQueuePosition) => position,
  }),
);
