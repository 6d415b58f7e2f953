// zaiko-sync's patch to FerretDB v1.24.2 (SQLite backend), copied into internal/backends/sqlite by
// scripts/zaiko.mjs before the build.
//
// FerretDB v1 pushes no filter down to SQLite but a lone _id (and that one with a path its index does not
// use; scripts/zaiko.mjs fixes the path): every other query decodes every document of the collection in Go,
// then filters. On a service with many tenants, each per-tenant read decoded every tenant's documents, and
// each look-up of a tenant by e-mail, contract or token decoded every tenant (bench:tenants).
//
// Here one equality of the filter becomes a WHERE clause on the very expression FerretDB's own CREATE INDEX
// writes for an index on that field, so SQLite searches the index:
//   - `_id` equal to a string or ObjectID, or `$in` a list of them, whatever else the filter holds (FerretDB
//     itself does it only for an equality with nothing else);
//   - otherwise the first of zaikoPushdownFields equal to a plain string.
// The handler still filters every returned document in Go with the whole filter, so this can only narrow
// what is read, never widen what matches. It would miss a document whose field is an array holding the value
// (MongoDB matches it): that is why only named fields are pushed down, fields zaiko-sync only ever stores as
// strings. Values with other characters than those of zaiko-sync's ids, tokens and plain e-mail addresses are
// not pushed down, so their JSON text is the same however it is rendered.
package sqlite

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// zaikoPushdownFields are searched by their index, in this order: each is indexed (src/storage) and only
// ever a string in zaiko-sync's documents. Keep src/storage's comments on them in step with this list.
// Dotted paths would not help: FerretDB's handler removes them from the filter it passes to the backend.
var zaikoPushdownFields = []string{"tenantId", "smaregiContractId", "notificationToken", "email"}

var zaikoPlainValue = regexp.MustCompile(`^[A-Za-z0-9_.:@+-]{1,320}$`)

// zaikoPushdown returns the WHERE clause and its argument for one equality of the filter, or "" for none.
func zaikoPushdown(filter *types.Document) (string, []any) {
	if filter == nil {
		return "", nil
	}
	if v, err := filter.Get("_id"); err == nil {
		switch v := v.(type) {
		case string, types.ObjectID:
			return fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn), []any{string(must.NotFail(sjson.MarshalSingleValue(v)))}
		case *types.Document:
			if where, args := zaikoIDIn(v); where != "" {
				return where, args
			}
		}
	}
	for _, field := range zaikoPushdownFields {
		v, err := filter.Get(field)
		if err != nil {
			continue
		}
		s, ok := v.(string)
		if !ok || !zaikoPlainValue.MatchString(s) {
			continue
		}
		return fmt.Sprintf(` WHERE %s->%q = ?`, metadata.DefaultColumn, field), []any{string(must.NotFail(sjson.MarshalSingleValue(s)))}
	}
	return "", nil
}

// zaikoMaxIn bounds the values of one pushed-down `$in` (SQLite allows 32,766 parameters).
const zaikoMaxIn = 1000

// zaikoIDIn is `WHERE _id IN (…)` for `{_id: {$in: [strings or ObjectIDs]}}` alone, or "" for any other
// condition on _id. An _id is never an array, so the list matches exactly what MongoDB matches.
func zaikoIDIn(cond *types.Document) (string, []any) {
	if cond.Len() != 1 {
		return "", nil
	}
	v, err := cond.Get("$in")
	if err != nil {
		return "", nil
	}
	values, ok := v.(*types.Array)
	if !ok || values.Len() == 0 || values.Len() > zaikoMaxIn {
		return "", nil
	}
	args := make([]any, 0, values.Len())
	for i := 0; i < values.Len(); i++ {
		switch id := must.NotFail(values.Get(i)).(type) {
		case string, types.ObjectID:
			args = append(args, string(must.NotFail(sjson.MarshalSingleValue(id))))
		default:
			return "", nil
		}
	}
	return fmt.Sprintf(` WHERE %s IN (?%s)`, metadata.IDColumn, strings.Repeat(", ?", len(args)-1)), args
}
