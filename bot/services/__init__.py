"""The service layer: plain Python, no Discord types. Both front doors call only this."""
