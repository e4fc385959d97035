// Parts a process must have exactly one of per database (one settlement queue, one hold-refresh
// timer), looked up from wherever a request needs them.
import type { Kysely } from 'kysely';
import type { Database } from './schema';

/** `create(db)` the first time a database is asked for, the same instance every time after. */
export function onePerDatabase<T>(create: (db: Kysely<Database>) => T): (db: Kysely<Database>) => T {
  const instances = new WeakMap<Kysely<Database>, T>();
  return (db) => {
    let instance = instances.get(db);
    if (!instance) {
      instance = create(db);
      instances.set(db, instance);
    }
    return instance;
  };
}
