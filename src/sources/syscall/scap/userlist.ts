// User list blocks of scap files (UL_BLOCK_TYPE, *_INT and V2 with per-entry lengths), as
// libscap's scap_read_userlist reads them: the users and groups of the captured host, which
// answer user.name, user.homedir, user.shell and group.name in place of this host's /etc files.
import type { UserTables } from '../state/users.js';
import { BT } from './blocks.js';
import { Cursor } from './cursor.js';

const MAX_CREDENTIALS_STR_LEN = 256;
const USERBLOCK_TYPE_USER = 0;

export function readUserlist(body: Buffer, blockOffset: number, type: number): UserTables {
  const c = new Cursor(body, blockOffset, 'user list');
  const tables: UserTables = { users: new Map(), groups: new Map() };
  const v2 = type === BT.UL_V2;
  while (c.remaining >= 4) {
    const start = c.pos;
    const subLen = v2 ? c.u32('entry length') : 0;
    if (c.u8('entry type') === USERBLOCK_TYPE_USER) {
      const uid = c.u32('uid');
      c.u32('gid');
      const name = c.str('user name', MAX_CREDENTIALS_STR_LEN - 1);
      const home = c.str('home directory', MAX_CREDENTIALS_STR_LEN - 1);
      const shell = c.str('shell', MAX_CREDENTIALS_STR_LEN - 1);
      tables.users.set(uid, { name, home, shell });
    } else {
      const gid = c.u32('gid');
      tables.groups.set(gid, c.str('group name', MAX_CREDENTIALS_STR_LEN - 1));
    }
    if (subLen) {
      const read = c.pos - start;
      if (read > subLen) c.fail(`entry of ${subLen} bytes holds ${read}`, start);
      c.skip(subLen - read, 'entry fields of later versions');
    }
  }
  return tables;
}
