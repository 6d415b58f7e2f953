// Added to FerretDB v1.24.2's internal/handler by zaiko-sync's setup (scripts/zaiko.mjs) before it builds.
//
// FerretDB v1 runs update, findAndModify and delete as a query followed by a separate write, with
// nothing holding the document in between: two concurrent updates of one document lose one (measured:
// 100 concurrent $inc of one field leave it at 5; a $pullAll racing an $addToSet undoes one of them).
// MongoDB makes every single-document write atomic and the service relies on it (alert mailboxes,
// queues, claims). Serializing these commands per collection restores that guarantee; reads and
// inserts are untouched, and writes to different collections still run side by side.

package handler

import (
	"context"
	"sync"

	"github.com/FerretDB/wire"
)

type zaikoMsgHandler = func(context.Context, *wire.OpMsg) (*wire.OpMsg, error)

// "db.collection" → *sync.Mutex; a handful of collections per database, never removed.
var zaikoCollectionLocks sync.Map

func zaikoSerializedPerCollection(next zaikoMsgHandler) zaikoMsgHandler {
	return func(ctx context.Context, msg *wire.OpMsg) (*wire.OpMsg, error) {
		document, err := opMsgDocument(msg)
		if err != nil {
			return next(ctx, msg) // the handler reports the malformed message
		}
		db, _ := document.Get("$db")
		collection, _ := document.Get(document.Command())
		dbName, _ := db.(string)
		collectionName, _ := collection.(string)
		lock, _ := zaikoCollectionLocks.LoadOrStore(dbName+"."+collectionName, new(sync.Mutex))
		lock.(*sync.Mutex).Lock()
		defer lock.(*sync.Mutex).Unlock()
		return next(ctx, msg)
	}
}
