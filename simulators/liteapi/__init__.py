"""The LiteAPI simulator: the hotel list, the rates search and prebooks on one host (`app.py`;
its offers, `roomTypes`, in `room_types.py`)."""
