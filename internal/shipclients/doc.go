// Package shipclients holds no code: its tests drive CloudSage's shipper
// endpoints with the real client libraries shippers are built on (the
// OpenTelemetry Go SDK's OTLP/HTTP log exporter, the official
// go-elasticsearch client and bulk indexer). They live apart from
// internal/web so that web's own tests do not compile those large
// libraries.
package shipclients
