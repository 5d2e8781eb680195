"""UI feature: the live video wall.

- ``live_grid.LiveGrid``: one view of tiles (layouts from ``domain.layouts``, drag and drop, maximise, swap,
  cycle, push/snapshot requests). The main window's central widget.
- ``video_view.VideoView``: one tile (pictures, state, watchdog, sub/main switching, pausing off screen), composed
  of ``tile_feeds`` (players and reconnects), ``tile_painting``, ``tile_input`` and ``tile_pump`` (the shared timer).
- ``controller.WallController``: everything around the views: saved views and favourites (Ctrl+1..9),
  detached windows, wall mode, WallPush on the bus, snapshots, save/restore into a QSettings group.
- ``windows.ViewWindow`` / ``windows.WallWindow``: a detached view; the borderless full-screen wall.
- ``players.PlayerSource``: players from ``VideoSettings`` (backend, per-camera caching, native windows).
- ``mime``: the drag-and-drop MIME types and ``enable_camera_drag`` for camera lists.
"""
