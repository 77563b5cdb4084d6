import type { SyscallEvent } from '../syscall-event.js';
import { FieldRegistry } from '../../../fields/registry.js';
import { containerFields, k8sFields } from './container.js';
import { evtFields } from './evt.js';
import { fdFields } from './fd.js';
import { fsPathFields } from './fspath.js';
import { procFields } from './proc.js';
import { groupFields, userFields } from './user.js';

/** Every field a syscall rule may use. */
export function syscallFields(): FieldRegistry<SyscallEvent> {
  return new FieldRegistry<SyscallEvent>('syscall').add(
    ...evtFields,
    ...procFields,
    ...fdFields,
    ...userFields,
    ...groupFields,
    ...containerFields,
    ...k8sFields,
    ...fsPathFields,
  );
}
