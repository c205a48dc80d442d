import Foundation
import KubeAPI

/// One column definition of a meta.k8s.io/v1 `Table`, the same for every kind.
struct TableColumn: Sendable {
    var name: String
    var type: String
    var format: String = ""
    var description: String = ""
    /// 0 shows by default; 1 only with `-o wide`.
    var priority: Int = 0
}

/// How one kind prints as a meta.k8s.io/v1 `Table` (what `kubectl get` shows): column definitions and a row
/// function, as upstream's printers define them.
struct TableConverter<Object: KubeObject>: Sendable {
    typealias Column = TableColumn

    var columns: [Column]
    var row: @Sendable (Object, Date) -> [JSONValue]

    /// Upstream's default for kinds without a printer: Name and Created At.
    static var `default`: TableConverter {
        TableConverter(columns: [
            Column(name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace."),
            Column(name: "Created At", type: "date", description: "CreationTimestamp is a timestamp representing the server time when this object was created."),
        ]) { object, _ in
            [.string(object.metadata.name ?? ""), object.metadata.creationTimestamp.map { .string($0.description) } ?? .null]
        }
    }

    /// Encodes the table for `objects` (each row carries the object or its metadata, as `includeObject` asks).
    func table(for objects: [(object: Object, raw: Data)], listMeta: ListMeta, includeObject: String?, now: Date) -> JSONValue {
        let definitions: [JSONValue] = columns.map {
            ["name": .string($0.name), "type": .string($0.type), "format": .string($0.format),
             "description": .string($0.description), "priority": .int(Int64($0.priority))]
        }
        let rows: [JSONValue] = objects.map { entry in
            var rowValue: JSONValue = ["cells": .array(row(entry.object, now))]
            switch includeObject {
            case "None": break
            case "Object": rowValue["object"] = (try? JSONValue(parsing: entry.raw)) ?? .null
            default:
                let metadata = (try? KubeJSON.value(of: entry.object.metadata)) ?? [:]
                rowValue["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata]
            }
            return rowValue
        }
        var meta: JSONValue = [:]
        if let rv = listMeta.resourceVersion { meta["resourceVersion"] = .string(rv) }
        if let c = listMeta.continue { meta["continue"] = .string(c) }
        if let n = listMeta.remainingItemCount { meta["remainingItemCount"] = .int(n) }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta,
                "columnDefinitions": .array(definitions), "rows": .array(rows)]
    }
}

/// Upstream's `duration.HumanDuration`: the AGE column's `5s`, `3m20s`, `2d5h`, `3y`.
func humanDuration(_ seconds: Double) -> String {
    if seconds < -1 { return "<invalid>" }
    if seconds < 0 { return "0s" }
    let s = Int(seconds)
    if s < 60 * 2 { return "\(s)s" }
    let minutes = s / 60
    if minutes < 10 {
        let rem = s % 60
        return rem == 0 ? "\(minutes)m" : "\(minutes)m\(rem)s"
    }
    if minutes < 60 * 3 { return "\(minutes)m" }
    let hours = s / 3600
    if hours < 8 {
        let rem = minutes % 60
        return rem == 0 ? "\(hours)h" : "\(hours)h\(rem)m"
    }
    if hours < 48 { return "\(hours)h" }
    if hours < 24 * 8 {
        let rem = hours % 24
        return rem == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(rem)h"
    }
    if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
    if hours < 24 * 365 * 8 {
        let days = hours / 24 % 365
        return days == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(days)d"
    }
    return "\(hours / 24 / 365)y"
}

/// The AGE cell of an object: `<unknown>` without a creation time.
func ageCell(_ time: Time?, now: Date) -> JSONValue {
    guard let time else { return "<unknown>" }
    return .string(humanDuration(now.timeIntervalSince(time.date)))
}
