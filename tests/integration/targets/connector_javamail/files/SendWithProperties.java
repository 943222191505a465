// Copyright (c) mailops.smtp contributors
// GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// Sends one message with Jakarta Mail configured only by a .properties file, the way a Java
// application does: java -cp MAIL_JARS SendWithProperties.java FILE RECIPIENT SUBJECT
// The password is read from mail.smtp.password (the collection's documented key).

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.FileInputStream;
import java.io.InputStream;
import java.util.Properties;

public class SendWithProperties {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        try (InputStream in = new FileInputStream(args[0])) {
            props.load(in);
        }
        Session session = Session.getInstance(props);
        MimeMessage msg = new MimeMessage(session);
        msg.setFrom();  // mail.from
        msg.setRecipient(Message.RecipientType.TO, new InternetAddress(args[1]));
        msg.setSubject(args[2]);
        msg.setText("Sent by Jakarta Mail from a mailops.smtp properties file.");
        String user = props.getProperty("mail.smtp.user");
        String password = props.getProperty("mail.smtp.password");
        if (user != null) {
            Transport.send(msg, user, password);
        } else {
            Transport.send(msg);
        }
        System.out.println("sent");
    }
}
