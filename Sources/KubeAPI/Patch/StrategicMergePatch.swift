// Kubernetes strategic merge patch, following k8s.io/apimachinery/pkg/util/strategicpatch as kube-apiserver
// 1.32 runs it (StrategicMergeMapPatch: MergeParallelList and IgnoreUnmatchedNulls both on).
//
// Where upstream leaves patch content raw and relies on decoding into Go structs to drop `null`s and
// directive keys, Ferry stores JSON as is, so new content is cleaned here instead: directive keys never
// reach the result.

extension Patch {
    /// Kubernetes strategic merge patch for `resource`'s kind: `null` deletes, maps merge, lists tagged
    /// `patchStrategy:merge` merge by their `patchMergeKey` (others are replaced), and the `$patch`,
    /// `$setElementOrder/`, `$retainKeys` and `$deleteFromPrimitiveList/` directives are honoured.
    public static func strategicMergePatch(_ original: JSON, _ patch: JSON, resource: ResourceType) throws(PatchError)
        -> JSON
    {
        try strategicMergePatch(original, patch, strategy: PatchStrategy.forResource(resource))
    }

    /// Strategic merge patch against an explicit field schema.
    public static func strategicMergePatch(_ original: JSON, _ patch: JSON, strategy: PatchStrategy) throws(PatchError)
        -> JSON
    {
        let patchFields: [String: JSON]
        switch patch {
        case .object(let o): patchFields = o
        // encoding/json decodes `null` into a nil map, which merges as an empty patch.
        case .null: return original
        default:
            throw .undecodable(
                "json: cannot unmarshal \(patch.patchGoJSONKind) into Go value of type map[string]interface {}")
        }
        return .object(try StrategicMerge.mergeMap(original.objectValue ?? [:], patchFields, strategy))
    }
}

extension Patch {
    /// The strategic-merge algorithm. Patch keys are visited in sorted order where Go's map order is random.
    enum StrategicMerge {
        static let directiveMarker = "$patch"
        static let retainKeysDirective = "$retainKeys"
        static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList"
        static let setElementOrderPrefix = "$setElementOrder"
        static let goMapType = "map[string]interface {}"
        static let goSliceType = "[]interface {}"

        static func isDirectiveKey(_ key: String) -> Bool {
            key == directiveMarker || key == retainKeysDirective || key.hasPrefix(setElementOrderPrefix)
                || key.hasPrefix(deleteFromPrimitiveListPrefix)
        }

        // MARK: errors, worded as mergepatch/strategicpatch word them

        static func noMergeKey(_ m: [String: JSON], _ key: String) -> PatchError {
            .mergeFailed("map: \(JSON.object(m).patchGoDescription) does not contain declared merge key: \(key)")
        }

        static func badArgType(_ expected: String, _ actual: JSON) -> PatchError {
            .mergeFailed("expected a \(expected), but received a \(actual.patchGoTypeName)")
        }

        static func badPatchType(_ directive: JSON, _ m: [String: JSON]) -> PatchError {
            .mergeFailed(
                "unknown patch type: \(directive.patchGoStringVerb) in map: \(JSON.object(m).patchGoDescription)")
        }

        // MARK: maps

        static func mergeMap(_ originalIn: [String: JSON], _ patchIn: [String: JSON], _ schema: PatchStrategy?)
            throws(PatchError) -> [String: JSON]
        {
            var patch = patchIn
            if let directive = patch[directiveMarker] {
                switch directive {
                case .string("replace"):
                    patch[directiveMarker] = nil
                    return JSON.object(patch).patchCleaned(dropDirectiveMaps: false)?.objectValue ?? [:]
                case .string("delete"):
                    return [:]
                default:
                    // Includes "merge": upstream accepts no $patch: merge in maps.
                    throw badPatchType(directive, patchIn)
                }
            }

            var original = originalIn
            try applyRetainKeys(&original, &patch)
            try mergeOrderedLists(&original, &patch, schema)

            for key in patch.keys.sorted() {
                let patchValue = patch[key]!
                var field = key
                var isDeleteList = false
                if key.hasPrefix(deleteFromPrimitiveListPrefix) {
                    let stripped = try extractKey(key, prefix: deleteFromPrimitiveListPrefix)
                    isDeleteList = true
                    if !stripped.isEmpty { field = stripped }
                }

                if patchValue.isNull {
                    original[field] = nil
                    continue
                }
                guard let current = original[field], current.patchGoTypeName == patchValue.patchGoTypeName else {
                    // New or differently-typed value: take the patch (a deletion list never adds anything).
                    if !isDeleteList { original[field] = patchValue.patchCleaned(dropDirectiveMaps: true) }
                    continue
                }
                let meta = schema?.field(field) ?? .plain
                switch (current, patchValue) {
                case (.object(let o), .object(let p)):
                    original[field] = .object(try mergeMap(o, p, meta.element))
                case (.array(let o), .array(let p)):
                    original[field] = .array(try mergeSliceHandler(o, p, meta, isDeleteList: isDeleteList).merged)
                default:
                    original[field] = patchValue
                }
            }
            return original
        }

        /// `$retainKeys`: drop original keys not listed; every non-null patch key must be listed.
        static func applyRetainKeys(_ original: inout [String: JSON], _ patch: inout [String: JSON]) throws(PatchError)
        {
            guard let directive = patch.removeValue(forKey: retainKeysDirective) else { return }
            let badFormat = PatchError.badDirective("invalid patch format of retainKeys")
            guard case .array(let list) = directive else { throw badFormat }
            let retained = Set(list.compactMap(\.stringValue))
            for (k, v) in patch
            where !v.isNull && !k.hasPrefix(deleteFromPrimitiveListPrefix) && !k.hasPrefix(setElementOrderPrefix) {
                if !retained.contains(k) { throw badFormat }
            }
            original = original.filter { retained.contains($0.key) }
        }

        static func extractKey(_ key: String, prefix: String) throws(PatchError) -> String {
            let parts = key.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count > 1, parts[0] == prefix else {
                throw .badDirective(
                    prefix == deleteFromPrimitiveListPrefix
                        ? "invalid patch format of primitive list" : "invalid patch format of setElementOrder list")
            }
            return String(parts[1])
        }

        // MARK: $setElementOrder

        /// Merges every list named by a `$setElementOrder/<list>` directive and orders the result: items named
        /// in the directive come in its order, other (server-only) items keep their live order and are
        /// interleaved before the first directive item that follows them in the live list.
        static func mergeOrderedLists(
            _ original: inout [String: JSON], _ patch: inout [String: JSON], _ schema: PatchStrategy?
        )
            throws(PatchError)
        {
            for key in patch.keys.sorted() where key.hasPrefix(setElementOrderPrefix) {
                let orderValue = patch.removeValue(forKey: key)!
                guard case .array(let order) = orderValue else { throw badArgType(goSliceType, orderValue) }
                let field = try extractKey(key, prefix: setElementOrderPrefix)

                var originalList: [JSON]? = nil
                if let value = original[field] {
                    guard case .array(let a) = value else { throw badArgType(goSliceType, value) }
                    originalList = a
                }
                var patchList: [JSON]? = nil
                if let value = patch[field] {
                    guard case .array(let a) = value else { throw badArgType(goSliceType, value) }
                    patchList = a
                }
                let meta = schema?.field(field) ?? .plain
                let mergeKey = meta.mergeKey ?? ""
                try validateOrder(patchList ?? [], order, mergeKey)

                let merged: [JSON]
                let serverOrder: [JSON]
                switch (originalList, patchList) {
                case (let o?, nil):
                    merged = o
                    serverOrder = o
                case (nil, let p?):
                    merged = p.compactMap { $0.patchCleaned(dropDirectiveMaps: true, keeping: mergeKey) }
                    serverOrder = []
                case (let o?, let p?):
                    (merged, serverOrder) = try mergeSliceHandler(o, p, meta, isDeleteList: false)
                case (nil, nil):
                    continue
                }

                let (named, serverOnly) =
                    mergeKey.isEmpty
                    ? partitionPrimitives(merged, by: order) : try partitionMaps(merged, by: order, mergeKey)
                let isMap = try elementsAreMaps([originalList, patchList])
                original[field] = .array(
                    try normalizeElementOrder(
                        named, serverOnly, patchOrder: order, serverOrder: serverOrder, mergeKey, isMap))
                patch[field] = nil
            }
        }

        /// Patch items (deletions and directive items aside) must appear in the directive, in its relative order.
        static func validateOrder(_ patchList: [JSON], _ order: [JSON], _ mergeKey: String) throws(PatchError) {
            if order.isEmpty || patchList.isEmpty { return }
            let items = mergeKey.isEmpty ? patchList : try splitDeletions(patchList).keep
            var p = 0
            var o = 0
            while p < items.count && o < order.count {
                if items[p].objectValue?[directiveMarker] != nil {
                    p += 1
                    continue
                }
                if try mergeKeyValuesEqual(items[p], order[o], mergeKey) { p += 1 }
                o += 1
            }
            if p < items.count && o >= order.count {
                throw .mergeFailed(
                    "The order in patch list:\n\(JSON.array(patchList).patchGoDescription)\n doesn't match "
                        + "\(setElementOrderPrefix) list:\n\(JSON.array(order).patchGoDescription)\n")
            }
        }

        static func mergeKeyValuesEqual(_ left: JSON, _ right: JSON, _ mergeKey: String) throws(PatchError) -> Bool {
            if mergeKey.isEmpty { return left == right }
            guard case .object(let l) = left else { throw badArgType(goMapType, left) }
            guard case .object(let r) = right else { throw badArgType(goMapType, right) }
            guard let lv = l[mergeKey] else { throw noMergeKey(l, mergeKey) }
            guard let rv = r[mergeKey] else { throw noMergeKey(r, mergeKey) }
            return lv == rv
        }

        /// Separates `$patch: delete` items (moved last by ordering) from the rest; all items must be maps.
        static func splitDeletions(_ list: [JSON]) throws(PatchError) -> (keep: [JSON], delete: [JSON]) {
            var keep: [JSON] = []
            var delete: [JSON] = []
            for v in list {
                guard case .object(let m) = v else { throw badArgType(goMapType, v) }
                if m[directiveMarker] == .string("delete") { delete.append(v) } else { keep.append(v) }
            }
            return (keep, delete)
        }

        // MARK: lists

        /// Atomic lists are replaced; merge lists (and any `$deleteFromPrimitiveList`) are merged. Also returns
        /// the live list as Go's aliased slice shows it afterwards (see `mergeSlice`).
        static func mergeSliceHandler(
            _ original: [JSON], _ patch: [JSON], _ meta: PatchStrategy.Field, isDeleteList: Bool
        )
            throws(PatchError) -> (merged: [JSON], originalView: [JSON])
        {
            if meta.mergesList || isDeleteList {
                return try mergeSlice(original, patch, meta, isDeleteList: isDeleteList)
            }
            return (patch.compactMap { $0.patchCleaned(dropDirectiveMaps: false) }, original)
        }

        static func mergeSlice(_ original: [JSON], _ patch: [JSON], _ meta: PatchStrategy.Field, isDeleteList: Bool)
            throws(PatchError) -> (merged: [JSON], originalView: [JSON])
        {
            if original.isEmpty && patch.isEmpty { return (original, original) }
            let isMap = try elementsAreMaps([original, patch])
            let mergeKey = meta.mergeKey ?? ""

            if !isMap {
                if isDeleteList {
                    let doomed = Set(patch)
                    return (original.filter { !doomed.contains($0) }, original)
                }
                var seen = Set<JSON>()
                let both = (original + patch).filter { seen.insert($0).inserted }
                let (inPatch, serverOnly) =
                    mergeKey.isEmpty
                    ? partitionPrimitives(both, by: patch) : try partitionMaps(both, by: patch, mergeKey)
                let ordered = try normalizeElementOrder(
                    inPatch, serverOnly, patchOrder: patch, serverOrder: original, mergeKey, false)
                return (ordered, original)
            }

            guard !mergeKey.isEmpty else {
                throw .mergeFailed("cannot merge lists without merge key for \(meta.elementKind)")
            }

            // Go deletes entries with append(s[:i], s[i+1:]...) and then appends new items into the same
            // backing array, so the caller's view of the live list (used for $setElementOrder ordering) shows
            // the survivors shifted left, then new items, then stale leftovers. `view` replays that.
            var view = original
            var live = original.count
            var withoutSpecial: [JSON] = []
            var replace = false
            for item in patch {
                guard case .object(let m) = item else { continue }  // all items are maps (checked above)
                guard let directive = m[directiveMarker] else {
                    withoutSpecial.append(item)
                    continue
                }
                switch directive {
                case .string("delete"):
                    guard let value = m[mergeKey] else { throw noMergeKey(m, mergeKey) }
                    while let i = try findMap(view[0..<live], mergeKey, value) {
                        for j in i..<(live - 1) { view[j] = view[j + 1] }
                        live -= 1
                    }
                case .string("replace"):
                    replace = true
                case .string("merge"):
                    throw .mergeFailed("merging lists cannot yet be specified in the patch")
                default:
                    throw badPatchType(directive, m)
                }
            }

            var merged: [JSON]
            let patchItems: [JSON]
            if replace {
                // `$patch: replace` anywhere in the list: the other patch items become the whole list.
                merged = withoutSpecial.map { $0.patchCleaned(dropDirectiveMaps: false, keeping: mergeKey) ?? $0 }
                patchItems = []
            } else {
                merged = Array(view[0..<live])
                patchItems = withoutSpecial
            }
            let base = merged

            for item in patchItems {
                guard case .object(let m) = item else { continue }
                guard let value = m[mergeKey] else { throw noMergeKey(m, mergeKey) }
                if let i = try findMap(merged[...], mergeKey, value), case .object(let existing) = merged[i] {
                    merged[i] = .object(try mergeMap(existing, m, meta.element))
                    if i < view.count { view[i] = merged[i] }
                } else {
                    let added = item.patchCleaned(dropDirectiveMaps: false, keeping: mergeKey) ?? item
                    if merged.count < view.count { view[merged.count] = added }
                    merged.append(added)
                }
            }

            let (inPatch, serverOnly) = try partitionMaps(merged, by: patchItems, mergeKey)
            let ordered = try normalizeElementOrder(
                inPatch, serverOnly, patchOrder: patchItems, serverOrder: base, mergeKey, true)
            return (ordered, view)
        }

        /// Index of the first map whose `key` equals `value`; every element up to it must be a map.
        static func findMap(_ list: ArraySlice<JSON>, _ key: String, _ value: JSON) throws(PatchError) -> Int? {
            for (offset, v) in list.enumerated() {
                guard case .object(let m) = v else { throw .mergeFailed("value for key \(offset) is not a map") }
                if let x = m[key], x == value { return list.startIndex + offset }
            }
            return nil
        }

        /// Whether list elements are maps; they must all share one type, and lists of lists are refused.
        static func elementsAreMaps(_ slices: [[JSON]?]) throws(PatchError) -> Bool {
            var first: JSON? = nil
            for slice in slices {
                for v in slice ?? [] {
                    guard let f = first else {
                        if case .array = v { throw .unprocessable("lists of lists are not supported") }
                        first = v
                        continue
                    }
                    if v.patchGoTypeName != f.patchGoTypeName {
                        let shown = JSON.array(slices.map { .array($0 ?? []) }).patchGoDescription
                        throw .mergeFailed("list element types are not identical: \(shown)")
                    }
                }
            }
            guard let first else { throw .mergeFailed("no elements in any of the given slices") }
            if case .object = first { return true }
            return false
        }

        static func partitionPrimitives(_ list: [JSON], by: [JSON]) -> (in: [JSON], out: [JSON]) {
            let present = Set(by)
            return (list.filter { present.contains($0) }, list.filter { !present.contains($0) })
        }

        static func partitionMaps(_ list: [JSON], by: [JSON], _ mergeKey: String) throws(PatchError) -> (
            in: [JSON], out: [JSON]
        ) {
            var inside: [JSON] = []
            var outside: [JSON] = []
            for v in list {
                guard case .object(let m) = v else { throw badArgType(goMapType, v) }
                guard let value = m[mergeKey] else { throw noMergeKey(m, mergeKey) }
                if try findMap(by[...], mergeKey, value) != nil { inside.append(v) } else { outside.append(v) }
            }
            return (inside, outside)
        }

        // MARK: ordering

        /// Position of `value` in `list`, comparing merge-key values for maps (missing key = nil, as in Go).
        static func index(of value: JSON, in list: [JSON], _ mergeKey: String, _ isMap: Bool) -> Int {
            func key(_ v: JSON) -> JSON { isMap ? (v.objectValue?[mergeKey] ?? .null) : v }
            let target = key(value)
            return list.firstIndex { key($0) == target } ?? -1
        }

        /// Sorts patch items by `patchOrder` and server-only items by `serverOrder`, then interleaves them.
        static func normalizeElementOrder(
            _ patchItems: [JSON], _ serverOnly: [JSON], patchOrder: [JSON], serverOrder: [JSON], _ mergeKey: String,
            _ isMap: Bool
        ) throws(PatchError) -> [JSON] {
            let sortedPatch = try sortByOrder(patchItems, patchOrder, mergeKey, isMap)
            let sortedServer = try sortByOrder(serverOnly, serverOrder, mergeKey, isMap)
            return interleave(sortedServer, sortedPatch, serverOrder, mergeKey, isMap)
        }

        static func sortByOrder(_ items: [JSON], _ order: [JSON], _ mergeKey: String, _ isMap: Bool) throws(PatchError)
            -> [JSON]
        {
            var toSort = items
            var deletions: [JSON] = []
            if isMap {
                for v in items + order {
                    guard case .object(let m) = v else { throw badArgType(goMapType, v) }
                    if m[mergeKey] == nil { throw noMergeKey(m, mergeKey) }
                }
                (toSort, deletions) = try splitDeletions(items)
            }
            // Go's sort.SliceStable is an insertion sort for up to 20 items, with a comparator that calls
            // anything not found in `order` "less"; replaying it keeps even those odd cases identical.
            var keys = toSort.map { index(of: $0, in: order, mergeKey, isMap) }
            func less(_ a: Int, _ b: Int) -> Bool { keys[a] >= 0 && keys[b] >= 0 ? keys[a] < keys[b] : true }
            if toSort.count > 1 {
                for i in 1..<toSort.count {
                    var j = i
                    while j > 0 && less(j, j - 1) {
                        toSort.swapAt(j, j - 1)
                        keys.swapAt(j, j - 1)
                        j -= 1
                    }
                }
            }
            return toSort + deletions
        }

        /// Merges server-only items (`left`) into patch items (`right`): a server-only item goes first only
        /// when both it and the next patch item are in the live list and it comes earlier there.
        static func interleave(
            _ left: [JSON], _ right: [JSON], _ serverOrder: [JSON], _ mergeKey: String, _ isMap: Bool
        )
            -> [JSON]
        {
            var out: [JSON] = []
            out.reserveCapacity(left.count + right.count)
            var i = 0
            var j = 0
            while i < left.count || j < right.count {
                if i >= left.count {
                    out.append(right[j])
                    j += 1
                } else if j >= right.count {
                    out.append(left[i])
                    i += 1
                } else {
                    let li = index(of: left[i], in: serverOrder, mergeKey, isMap)
                    let ri = index(of: right[j], in: serverOrder, mergeKey, isMap)
                    if li >= 0 && ri >= 0 && li < ri {
                        out.append(left[i])
                        i += 1
                    } else {
                        out.append(right[j])
                        j += 1
                    }
                }
            }
            return out
        }
    }
}

extension JSON {
    /// Patch content about to be stored: drops `null` members and directive keys (and, when
    /// `dropDirectiveMaps`, whole maps carrying `$patch`, as strategicpatch's removeDirectives does).
    /// `keeping` names a top-level member kept even when null, so merge-key lookups still see it.
    func patchCleaned(dropDirectiveMaps: Bool, keeping key: String? = nil) -> JSON? {
        switch self {
        case .object(let o):
            if dropDirectiveMaps && o[Patch.StrategicMerge.directiveMarker] != nil { return nil }
            var out: [String: JSON] = [:]
            for (k, v) in o where !Patch.StrategicMerge.isDirectiveKey(k) {
                if v.isNull {
                    if k == key { out[k] = v }
                    continue
                }
                if let cleaned = v.patchCleaned(dropDirectiveMaps: dropDirectiveMaps) { out[k] = cleaned }
            }
            return .object(out)
        case .array(let a):
            return .array(a.compactMap { $0.patchCleaned(dropDirectiveMaps: dropDirectiveMaps) })
        default:
            return self
        }
    }
}
