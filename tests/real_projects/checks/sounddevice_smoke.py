"""sounddevice's sdist ships no tests (its docstring examples need audio devices and
numpy): this checks what the wheel must provide, with unittest so both builds report
`Ran N tests`. Run from a folder without the sources, against the installed wheel."""

import os
import subprocess
import sys
import unittest


class InstalledWheel(unittest.TestCase):
    def test_abi_module_is_top_level(self):
        # set_source("_sounddevice", None): a pure-Python module next to sounddevice.py.
        import _sounddevice
        import sounddevice

        self.assertEqual(os.path.dirname(_sounddevice.__file__), os.path.dirname(sounddevice.__file__))
        self.assertTrue(_sounddevice.__file__.endswith("_sounddevice.py"), _sounddevice.__file__)

    def test_portaudio_loaded(self):
        # Importing sounddevice dlopens the system PortAudio and calls Pa_Initialize.
        import sounddevice

        version, text = sounddevice.get_portaudio_version()
        self.assertGreaterEqual(version, 1899)
        self.assertIn("PortAudio", text)

    def test_cdef_constants_and_structs(self):
        import _sounddevice
        import sounddevice

        lib = sounddevice._lib  # what _sounddevice.ffi.dlopen() gave
        self.assertEqual(lib.paNoError, 0)
        self.assertEqual(lib.paNotInitialized, -10000)
        self.assertEqual(lib.paNoDevice, -1)
        info = _sounddevice.ffi.new("PaStreamParameters*")
        self.assertEqual(info.device, 0)

    def test_query_devices_and_errors(self):
        import sounddevice

        devices = sounddevice.query_devices()
        self.assertIsInstance(devices, sounddevice.DeviceList)
        with self.assertRaises(sounddevice.PortAudioError):
            sounddevice.check_output_settings(device=10 ** 6)

    def test_command_line(self):
        subprocess.run([sys.executable, "-m", "sounddevice"], check=True, stdout=subprocess.DEVNULL)

    def test_not_shipped_on_linux(self):
        # setup.py ships the bundled PortAudio DLLs/dylib package only on Windows and macOS.
        with self.assertRaises(ImportError):
            import _sounddevice_data  # noqa: F401


if __name__ == "__main__":
    unittest.main()
