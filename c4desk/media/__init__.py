"""Video: player backends behind one interface, recorder, clips, stills."""
