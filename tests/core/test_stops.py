"""The signals that stop a command like Ctrl-C (matcue.core.stops)."""

import signal

from matcue.core.stops import every_stop_signal, stop_signals


def test_an_ignored_sighup_is_no_stop_signal_and_a_handled_one_is():
    old = signal.getsignal(signal.SIGHUP)
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        assert signal.SIGHUP not in stop_signals()
        signal.signal(signal.SIGHUP, lambda s, f: None)
        assert signal.SIGHUP in stop_signals()
        assert stop_signals() <= every_stop_signal()
    finally:
        signal.signal(signal.SIGHUP, old)
