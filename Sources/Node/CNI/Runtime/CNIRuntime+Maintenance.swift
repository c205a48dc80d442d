/// GC and STATUS: the verbs about a whole network rather than one attachment.
extension CNIRuntime {
    /// Deletes every cached attachment of `list` not in `validAttachments`, then (for ≥ 1.1.0) lets each
    /// plugin collect what it still holds for others. Errors are gathered; the first is thrown after all ran.
    public func garbageCollect(_ list: NetworkConfigList, validAttachments: [GCAttachment]) async throws(CNIError) {
        guard !list.disableGC else { return }
        var failures: [CNIError] = []
        let valid = Set(validAttachments)
        for entry in cache.entries(network: list.name)
        where !valid.contains(GCAttachment(containerID: entry.containerId, ifname: entry.ifName)) {
            do throws(CNIError) {
                try await delete(list, entry.attachment)
            } catch {
                failures.append(CNIError(error.code, "failed to delete stale attachment \(entry.containerId) \(entry.ifName): \(error.msg)", details: error.details))
            }
        }
        if list.cniVersion >= .garbageCollection {
            let attachments = JSONValue.array(validAttachments.map {
                .object(["containerID": .string($0.containerID), "ifname": .string($0.ifname)])
            })
            for plugin in list.plugins {
                do throws(CNIError) {
                    let config = try pluginConfig(plugin, list, previous: nil, attachment: nil)
                        .injecting(["cni.dev/valid-attachments": attachments, "cni.dev/attachments": attachments])
                    let path = try PluginLocator.find(plugin.type, in: pluginDirectories)
                    _ = try await exec.execute(path, stdin: try config.json(), environment: environment(.garbageCollect, nil))
                } catch {
                    failures.append(Self.annotated(error, plugin, "gc"))
                }
            }
        }
        if let first = failures.first {
            throw failures.count == 1 ? first : CNIError(first.code, failures.map(\.msg).joined(separator: "; "))
        }
    }

    /// Asks each plugin whether it can serve requests (≥ 1.1.0; older networks are assumed ready). The
    /// first failure is thrown as is, so its 50/51 code reaches the caller.
    public func status(_ list: NetworkConfigList) async throws(CNIError) {
        guard list.cniVersion >= .garbageCollection else { return }
        for plugin in list.plugins {
            let config = try pluginConfig(plugin, list, previous: nil, attachment: nil)
            let path = try PluginLocator.find(plugin.type, in: pluginDirectories)
            _ = try await exec.execute(path, stdin: try config.json(), environment: environment(.status, nil))
        }
    }
}
