/* global db */
// Runs once, when the MongoDB volume is first initialised (docker-entrypoint-initdb.d, as the root
// user). The service connects as this user, which can read and write its own database and nothing else.
const dbName = process.env.MONGODB_DB || 'zaiko_sync';
db.getSiblingDB(dbName).createUser({
  user: process.env.MONGO_APP_USER,
  pwd: process.env.MONGO_APP_PASSWORD,
  roles: [{ role: 'readWrite', db: dbName }],
});
