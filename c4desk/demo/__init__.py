"""The demo city: site generator, clip renderer, stream servers, scenario."""
