// Package lokicompat holds no code: its test sends Loki push requests
// built with Loki's own github.com/grafana/loki/pkg/push types (protobuf,
// snappy-compressed, as Promtail and Grafana Alloy send them) to
// CloudSage's /loki/api/v1/push, cross-checking the hand-written protowire
// decoder in internal/shipper/loki against the reference encoder.
package lokicompat
