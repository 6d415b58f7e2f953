// zaiko-sync's patch to FerretDB v1.24.2 (SQLite backend), copied into internal/backends/sqlite by
// scripts/zaiko.mjs before the build.
//
// FerretDB v1 pushes no filter down to SQLite but a lone _id, and that one with a path its index does not
// use: every other query decodes every document of the collection in Go, then filters. Every per-tenant read
// of zaiko-sync names its tenant (`tenantId: "tn_…"`), so on a service with many tenants each read decoded all
// of them (bench:tenants: the order ledger, read per push, cost more than the rest of the work together).
//
// Here a top-level `tenantId` equality with a plain string becomes `WHERE _ferretdb_sjson->"tenantId" = ?`,
// the very expression FerretDB's own CREATE INDEX writes for a {tenantId: 1, …} index, so SQLite searches
// that index. The handler still filters every returned document in Go with the whole filter, so this can
// only narrow what is read, never widen what matches. It would miss a document whose tenantId is an array
// holding the value (MongoDB matches it); zaiko-sync never stores one. Values with other characters than
// those of zaiko-sync's ids are not pushed down, so their JSON text is the same however it is rendered.
package sqlite

import (
	"fmt"
	"regexp"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

var zaikoPlainTenantID = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,200}$`)

// zaikoTenantPushdown returns the WHERE clause and its argument for the filter's tenant, or "" when it names none.
func zaikoTenantPushdown(filter *types.Document) (string, []any) {
	if filter == nil {
		return "", nil
	}
	v, err := filter.Get("tenantId")
	if err != nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok || !zaikoPlainTenantID.MatchString(s) {
		return "", nil
	}
	return fmt.Sprintf(` WHERE %s->%q = ?`, metadata.DefaultColumn, "tenantId"), []any{string(must.NotFail(sjson.MarshalSingleValue(s)))}
}
