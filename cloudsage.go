// Package cloudsage holds the shared vocabulary of CloudSage: events, levels,
// typed identifiers and application errors. It imports only the standard
// library; every other package builds on it.
//
// The data flow reads: parse -> patterns -> series -> risk -> forecast ->
// advise, with store, web and notify around it (see README.md).
package cloudsage

// Version is set at build time with -ldflags "-X github.com/cloudsage/cloudsage.Version=...".
var Version = "dev"

// ProjectID identifies a project.
type ProjectID int64

// UserID identifies a user account.
type UserID int64

// PatternID identifies a mined log template. It is stable: once handed out it
// keeps naming the same group of lines even when the template generalises.
type PatternID string
