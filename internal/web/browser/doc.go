// Package browser holds the dashboard's end-to-end tests: they run the real
// `cloudsage serve` in-process on a loopback port with a temporary data
// folder and drive it with headless Chromium (chromedp). Set
// CLOUDSAGE_ARTIFACTS to keep the screenshots they take.
package browser
